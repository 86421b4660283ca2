"""The report parser: prose reports in, incidents in the interchange format out."""

from etl.report.model import ControlObservation, Incident, ParsedReport, ReviewItem, Toll
from etl.report.parser import parse_report

__all__ = ["ControlObservation", "Incident", "ParsedReport", "ReviewItem", "Toll", "parse_report"]
