# -*- coding: utf-8 -*-
# Copyright: contributors to multicloud.invocations
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the multicloud.invocations collection: this API may change at any time.
"""Records kept between poll rounds, each rebuilt only when its vendor row changed.

A vendor that answers every instance of an open run each round (Zenlayer's
DescribeCommandInvocations nests them all in the invocation) would otherwise have every record
built again each round: at 10,000 instances that is most of a wait's CPU, for records that did not
change. A ``RowRecords`` remembers, per instance, the row a record was built from and the record;
a row equal to the one remembered gives the same record back, so a round builds only the records
whose rows changed. Comparing two rows is a dict comparison done in C, a small fraction of what
building a record costs.

A record also carries fields of its run (its ids, when it was requested, the run's own fields in
``raw``): those are the ``context``. When the context changes (the run's status moved on), the
records of unchanged rows are brought up to date by ``refresh(context)``, which returns what to do
to each of them (cheaper than building them again); without a ``refresh``, every record of the run
is built again.
"""

from __future__ import annotations

import typing as t

Row = t.Dict[str, t.Any]
Record = t.Dict[str, t.Any]


class RowRecords:
    """One run's records by instance, from ``build(context, row)``, built again only when their row changed.

    ``builds`` counts the records built so far (the unit tests hold a round to the rows that changed).
    """

    def __init__(self, build: t.Callable[[t.Any, Row], Record], key: t.Callable[[Row], t.Any],
                 refresh: t.Callable[[t.Any], t.Callable[[Record], None]] | None = None) -> None:
        self._build = build
        self._key = key
        self._refresh = refresh
        self._context: t.Any = None
        self._known = False
        # key -> (the row the record was built from, the record)
        self._by_key: dict[t.Any, tuple[Row, Record]] = {}
        self.builds = 0

    def records(self, context: t.Any, rows: t.Iterable[Row]) -> list[Record]:
        """The records of ``rows``, in their order: the remembered record where a row is unchanged.

        Rows the vendor no longer lists are forgotten. A key listed twice in one answer (a vendor
        listing an instance twice) gets a record of its own each time, never one record shared.
        """
        update: t.Callable[[Record], None] | None = None
        if not self._known or context != self._context:
            if self._refresh is None or not self._known:
                self._by_key = {}
            else:
                update = self._refresh(context)
            self._context = context
            self._known = True
        remembered = self._by_key
        kept: dict[t.Any, tuple[Row, Record]] = {}
        records = []
        for row in rows:
            key = self._key(row)
            entry = remembered.get(key) if key not in kept else None
            if entry is None or entry[0] != row:
                entry = (row, self._build(context, row))
                self.builds += 1
            else:
                if update is not None:
                    update(entry[1])
                # Keep this round's row (the watch holds it anyway): the older equal one can go.
                entry = (row, entry[1])
            kept[key] = entry
            records.append(entry[1])
        self._by_key = kept
        return records
