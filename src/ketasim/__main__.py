"""`python -m ketasim ARGS`: the command line, as the `ketasim` script."""

from ketasim.apps.cli.main import main

if __name__ == "__main__":
    main()
