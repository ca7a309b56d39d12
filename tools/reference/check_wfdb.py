#!/usr/bin/env python3
"""Reads a WFDB record written by `ecg digitise` with the reference reader (the `wfdb` package)
and compares it with the CSV written beside it.

Usage: check_wfdb.py DIR/NAME    (reads DIR/NAME.hea, DIR/NAME.dat and DIR/NAME.csv)
Prints one line per lead and exits 1 if any sample differs by more than the record's resolution
(1 uV, plus the CSV's rounding), if blank cells differ, or if the lead names differ.
Reference/testing only: ECGLens never needs Python at run time.
"""
import csv
import math
import sys

import wfdb


def main(base):
    record = wfdb.rdrecord(base)
    with open(base + ".csv", newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    leads = header[1:]
    failures = 0
    if list(record.sig_name) != leads:
        print(f"lead names differ: WFDB {record.sig_name} vs CSV {leads}")
        return 1
    if record.fs != 500 or record.sig_len != len(rows):
        print(f"shape differs: {record.fs} Hz x {record.sig_len} vs 500 Hz x {len(rows)}")
        return 1
    for j, lead in enumerate(leads):
        worst, blanks = 0.0, 0
        for i, row in enumerate(rows):
            w = record.p_signal[i, j]
            cell = row[j + 1]
            if cell == "":
                blanks += 1
                if not math.isnan(w):
                    failures += 1
                continue
            if math.isnan(w):
                failures += 1
                continue
            worst = max(worst, abs(w - float(cell)))
        ok = worst <= 0.00056  # 0.5 uV WFDB rounding + 0.05 uV CSV rounding
        failures += 0 if ok else 1
        print(f"{lead:4s} shown {len(rows) - blanks:5d} samples, max |WFDB - CSV| = {worst:.6f} mV {'ok' if ok else 'TOO LARGE'}")
    print("WFDB record matches the CSV" if failures == 0 else f"{failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
