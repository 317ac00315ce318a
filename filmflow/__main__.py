"""`python -m filmflow` runs the command line."""

from filmflow.cli import main

if __name__ == "__main__":
    main()
