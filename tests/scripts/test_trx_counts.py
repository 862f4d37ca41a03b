"""make test's last line counts what ran (scripts/lib.sh trx_counts): a dotnet test run that failed without a failing
test, such as a test project that did not build while another ran, must not read as a clean run. Run by
scripts/e2e.sh (check `scripts`)."""
import os
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def trx(passed, failed):
    return (f'<?xml version="1.0"?><TestRun><ResultSummary outcome="x">'
            f'<Counters total="{passed + failed}" executed="{passed + failed}" passed="{passed}" failed="{failed}" '
            f'error="0" timeout="0" aborted="0" inconclusive="0" /></ResultSummary></TestRun>')


class TrxCounts(unittest.TestCase):
    def counts(self, files, dotnet_rc):
        with tempfile.TemporaryDirectory() as results:
            for i, (passed, failed) in enumerate(files):
                with open(os.path.join(results, f"project{i}.trx"), "w") as f:
                    f.write(trx(passed, failed))
            run = subprocess.run(["bash", "-c", 'source scripts/lib.sh && trx_counts "$1" "$2"', "bash", results,
                                  str(dotnet_rc)], cwd=ROOT, capture_output=True, text=True, check=True)
            return run.stdout.split()

    def test_every_trx_file_is_summed(self):
        self.assertEqual(self.counts([(169, 0), (382, 2)], 1), ["551", "2"])

    def test_a_clean_run_has_no_failure(self):
        self.assertEqual(self.counts([(169, 0), (14, 0)], 0), ["183", "0"])

    def test_a_run_that_failed_without_a_failing_test_counts_one(self):
        # One project built and passed, another did not build: dotnet test exits 1 and no trx holds a failure.
        self.assertEqual(self.counts([(7, 0)], 1), ["7", "1"])

    def test_a_run_in_which_no_test_ran_counts_one(self):
        # A filter that matched no test: dotnet test exits 0 with every counter at 0.
        self.assertEqual(self.counts([(0, 0)], 0), ["0", "1"])

    def test_a_run_without_any_trx_file_counts_one(self):
        self.assertEqual(self.counts([], 1), ["0", "1"])


if __name__ == "__main__":
    unittest.main()
