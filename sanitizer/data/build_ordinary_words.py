"""Freeze the lower-case English words of SCOWL into ordinary_words.txt (run by hand to refresh).

    apt-get download wamerican wbritish
    dpkg-deb -x wamerican_*.deb dicts && dpkg-deb -x wbritish_*.deb dicts
    python -m sanitizer.data.build_ordinary_words dicts/usr/share/dict/american-english \
        dicts/usr/share/dict/british-english

A name the run's name columns hold, written in lower case in a note ("spoke to ada lovelace"), is
found as a name only when it is no ordinary word ("hopper", "cash" and "grace" are): these are the
ordinary words, with the words of contact-centre notes that SCOWL lacks (SUPPLEMENT). SCOWL writes
proper nouns capitalised, so its lower-case entries are the ordinary words alone. SCOWL (Spell Checker Oriented Word Lists) is Copyright 2000-2011 by Kevin Atkinson;
its permission notice, which applies to this output, is in ordinary_words.LICENSE.
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).with_name("ordinary_words.txt")
# Words of contact-centre notes that SCOWL lacks (abbreviations, product and channel words): a name
# column holding one (a junk value, "VIP", "DNC") must not make it a name in every note.
SUPPLEMENT = """
    ach appt appts asap autopay btw callback callbacks chargeback chargebacks covid cust custs dnc
    ebill eod esc faq fyi iphone ivr lvm msg msgs noshow ok ooo otp paperless paypal pls plz preauth
    pwd rebook rebooked resched signup sms sortcode tba tbc tbd thx txt unsub url vip wfh wifi zipcode
""".split()


def main(paths: list[str]) -> None:
    words: set[str] = set(SUPPLEMENT)
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            word = line.strip()
            if word and word == word.lower() and word.isalpha():  # no proper nouns, no "'s"
                words.add(word)
    OUT.write_text("\n".join(sorted(words)) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(words)} words")


if __name__ == "__main__":
    main(sys.argv[1:])
