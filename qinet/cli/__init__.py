"""The ``qinet`` command line: ``main.py`` builds the app, one module per command.

Command modules are imported inside the command functions, so ``qinet --help`` does not
load the simulator.
"""
