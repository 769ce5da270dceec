// The `quench` command. Subcommands are added by the engine issues.
process.stdout.write('quench\n');
