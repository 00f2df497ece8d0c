"""Upper bounds on numbers the API accepts, so no value overflows a column.

Lower bounds are the services' to check (``invalid_budget``, ``invalid_level``
and the other stable codes); these caps only keep absurd values from reaching
the database, where they would fail as a server error instead of a 422.
"""

from typing import Annotated

from pydantic import Field

# ¥1,000,000,000 fits the smallest yen column (a 32-bit positive integer).
MAX_YEN = 1_000_000_000
MAX_UNITS = 1_000_000
MAX_SMALL_COUNT = 10_000

Yen = Annotated[int, Field(le=MAX_YEN, description="Whole yen, without consumption tax.")]
UnitCount = Annotated[int, Field(le=MAX_UNITS)]
SmallCount = Annotated[int, Field(le=MAX_SMALL_COUNT)]

# Text lengths: the columns' own for short fields, a generous cap for text.
Email = Annotated[str, Field(max_length=254)]
DisplayName = Annotated[str, Field(max_length=80)]
Title = Annotated[str, Field(max_length=120)]
LongText = Annotated[str, Field(max_length=20_000)]
