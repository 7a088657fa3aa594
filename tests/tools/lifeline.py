"""Runs a command for as long as this process's stdin stays open, then stops it.

Test harnesses keep emulators in process-wide statics that are never dropped; they hold this
script's stdin, so when the test process exits (even by a panic or a signal) the pipe closes and
the emulator goes with it instead of living on as an orphan. Usage: lifeline.py CMD [ARG...]
"""

import subprocess
import sys


def main() -> None:
    child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
    try:
        sys.stdin.read()
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    main()
