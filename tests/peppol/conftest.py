"""The Peppol tests' shared pieces, and one line in the summary on OpenPeppol's own rules:
whether they ran (MAPPER_PEPPOL_XSLT given) or not — never a silent pass."""

from __future__ import annotations

import pytest
from peppol.validation import PEPPOL_NOT_SET, peppol_xslt


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    ran = any(
        "peppol" in getattr(report, "nodeid", "")
        for reports in terminalreporter.stats.values()
        for report in reports
    )
    if not ran:
        return
    terminalreporter.write_sep("-", "Peppol BIS rules")
    found = peppol_xslt()
    if found is None:
        terminalreporter.write_line(f"SKIPPED: {PEPPOL_NOT_SET}")
    else:
        terminalreporter.write_line(f"OpenPeppol rules run from {found}")
