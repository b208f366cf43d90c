"""The guard of tests/shared_guard.py: a test that reads ../shared fails, even where the file exists."""

from conftest import ROOT
from shared_guard import SHARED


def test_a_test_that_reads_shared_fails_and_one_that_does_not_passes(pytester):
    pytester.makeconftest(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})\nfrom shared_guard import shared_guard\n"
    )
    titles = SHARED / "data" / "hn-titles" / "titles.txt"
    pytester.makepyfile(
        test_inner=f"""
import subprocess, sys

def test_reads_the_study_data():
    try:
        open({str(titles)!r}).read()
    except OSError:
        pass  # a fresh clone has no such file: the attempt alone must fail the test

def test_passes_it_to_a_command():
    subprocess.run([sys.executable, "-c", "pass", "data={titles}"])

def test_reads_its_own_data():
    open({str(ROOT / "tests" / "data" / "titles.txt")!r}).read()
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_reads_the_study_data*",
            f"this test reads {SHARED}*opened {titles}*",
            "*ERROR at teardown of test_passes_it_to_a_command*",
            f"this test reads {SHARED}*started a command naming data={titles}*",
        ]
    )
