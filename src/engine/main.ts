// Engine process entry. The IPC request loop is built under issue 6 (engine client).
process.stdout.write('quench engine\n');
