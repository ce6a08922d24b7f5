"""What every API v1 model shares: unknown fields are ignored (a newer server may add some); amounts are finite."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Money = Annotated[Decimal, Field(allow_inf_nan=False)]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False)
