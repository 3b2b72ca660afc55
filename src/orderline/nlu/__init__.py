"""Understanding: tier-1 deterministic matcher (this package) and, later, SLM call points."""

from orderline.nlu.coverage import Coverage, Understanding
from orderline.nlu.matcher import RuleMatcher

__all__ = ["Coverage", "RuleMatcher", "Understanding"]
