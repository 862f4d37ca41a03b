"""The soak's verdict shows its evidence (issue #15): an API log line at Error fails the run, and the failing verdict
quotes it, whichever console format the API logged in. Run by scripts/e2e.sh (check `scripts`)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import soak_log  # noqa: E402


class ApiLogErrors(unittest.TestCase):
    def entries(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as log:
            log.write(text)
        try:
            return soak_log.api_log_errors(log.name)
        finally:
            os.unlink(log.name)

    def test_a_json_line_at_error_is_an_error_entry(self):
        error = json.dumps({"LogLevel": "Error", "Message": "An unhandled exception was thrown by the application."})
        info = json.dumps({"LogLevel": "Information", "Message": "Now listening"})
        self.assertEqual(self.entries(f"{info}\n{error}\n{info}\n"), [[error]])

    def test_a_simple_formatter_fail_entry_keeps_its_indented_lines(self):
        text = "info: started\nfail: Kestrel[13]\n      the exception\n      at Somewhere()\ninfo: next\n"
        self.assertEqual(self.entries(text), [["fail: Kestrel[13]", "      the exception", "      at Somewhere()"]])

    def test_warnings_and_information_are_no_errors(self):
        warning = json.dumps({"LogLevel": "Warning", "Message": "answered 503"})
        self.assertEqual(self.entries(f"{warning}\nwarn: slow\n"), [])


if __name__ == "__main__":
    unittest.main()
