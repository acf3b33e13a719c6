from saeinit.cli import entry

entry()
