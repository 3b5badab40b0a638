#!/usr/bin/env python3
"""Writes samples/fraud/transactions.csv: 200 made-up card transactions.

Deterministic: a fixed seed and only random.random(), whose sequence Python
keeps stable across versions, so running it again gives the same file.

    python3 samples/fraud/make_transactions.py > samples/fraud/transactions.csv

The columns come in a different order from the model's fields and include two
the model does not use (txn_id, channel): nerva binds columns by name and
ignores the rest.  About one cell in twenty is empty (a missing value).  A few
rows are odd on purpose: an unknown merchant (invalid, treated as missing), a
country_mismatch of 2 (invalid, used as is), card_age_days -1 (declared
missing), an hour of 24 and a negative amount (invalid: those records score as
empty cells).
"""
import math
import random

MERCHANTS = ["grocery", "fuel", "restaurant", "travel", "online_retail",
             "electronics", "gambling", "crypto_exchange"]
WEIGHTS = [30, 15, 20, 8, 14, 7, 3, 3]
CHANNELS = ["pos", "ecom", "atm"]

rng = random.Random(20241125)
r = rng.random


def pick(items, weights=None):
    weights = weights or [1] * len(items)
    x = r() * sum(weights)
    for item, w in zip(items, weights):
        x -= w
        if x < 0:
            return item
    return items[-1]


def maybe_missing(text, p=0.05):
    return "" if r() < p else text


def row(i):
    # amounts: log-normal around 40, in cents
    u1, u2 = r() or 1e-12, r()
    z = math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
    amount = round(math.exp(math.log(40) + 1.1 * z), 2)
    merchant = pick(MERCHANTS, WEIGHTS)
    hour = int(r() * 24)
    mismatch = 1 if r() < 0.12 else 0
    card_age = round(r() ** 2 * 1500, 1)
    return {
        "txn_id": "T%05d" % (10000 + i),
        "channel": pick(CHANNELS),
        "card_age_days": maybe_missing("%.1f" % card_age),
        "hour": maybe_missing(str(hour)),
        "merchant_category": maybe_missing(merchant),
        "amount": maybe_missing("%.2f" % amount),
        "country_mismatch": maybe_missing(str(mismatch)),
    }


def main():
    rows = [row(i) for i in range(200)]
    # the odd rows, at fixed places
    rows[7]["merchant_category"] = "pet_supplies"   # not a declared value
    rows[19]["country_mismatch"] = "2"              # invalid, asIs
    rows[23]["card_age_days"] = "-1"                # declared missing value
    rows[42]["hour"] = "24"                         # outside 0..23: invalid record
    rows[57]["amount"] = "-12.50"                   # outside [0, inf): invalid record
    rows[88].update(amount="", merchant_category="", hour="", country_mismatch="",
                    card_age_days="")               # everything missing
    rows[101].update(amount="2450.00", merchant_category="crypto_exchange", hour="3",
                     country_mismatch="1", card_age_days="2.0")  # clearly risky
    cols = ["txn_id", "channel", "card_age_days", "hour", "merchant_category",
            "amount", "country_mismatch"]
    print(",".join(cols))
    for x in rows:
        print(",".join(x[c] for c in cols))


if __name__ == "__main__":
    main()
