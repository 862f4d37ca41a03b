"""The API's log as `make soak` judges it: its entries at Error or Critical, and how a failing verdict quotes them
(bench/soak_report.py; tests/scripts/test_soak_report.py)."""
import json

SHOWN_ENTRIES = 5          # error entries of the API's log quoted in a failing verdict
SHOWN_LINES_PER_ENTRY = 20


def api_log_errors(path):
    """The API's log entries at Error or Critical, each a list of lines: a JSON line (the default console formatter)
    whose LogLevel says so, or a simple-formatter entry (`fail:` or `crit:`, then its indented lines)."""
    entries, current = [], None
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            line = line.rstrip("\n")
            if line.startswith("{"):
                current = None
                try:
                    level = json.loads(line).get("LogLevel")
                except (ValueError, AttributeError):
                    level = None
                if level in ("Error", "Critical"):
                    entries.append([line])
            elif line.startswith(("fail:", "crit:")):
                current = [line]
                entries.append(current)
            elif current is not None and line[:1] in (" ", "\t"):
                current.append(line)
            else:
                current = None
    return entries


def quoted(entries, log_path):
    """A Markdown block with the first entries as the log has them, and where the rest are."""
    lines = []
    for entry in entries[:SHOWN_ENTRIES]:
        lines += entry[:SHOWN_LINES_PER_ENTRY]
        if len(entry) > SHOWN_LINES_PER_ENTRY:
            lines.append(f"  ... ({len(entry) - SHOWN_LINES_PER_ENTRY} more lines)")
    more = f"\n\n{len(entries) - SHOWN_ENTRIES} more in {log_path}." if len(entries) > SHOWN_ENTRIES else ""
    return "\n\n  ```text\n" + "\n".join("  " + l for l in lines) + "\n  ```" + more
