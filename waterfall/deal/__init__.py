"""What the deal's documents say: the model, its loader and its checks."""

from waterfall.deal.load import load_deal
from waterfall.deal.model import Deal

__all__ = ["Deal", "load_deal"]
