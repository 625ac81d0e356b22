#!/usr/bin/env node
import { Command } from 'commander';
import { commands } from './commands/index.js';

const program = new Command()
  .name('statsmoln')
  .description('Operator and tools for the statsmoln sovereign state cloud')
  .showHelpAfterError()
  .exitOverride();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = (error as { exitCode?: unknown }).exitCode;
  if (typeof code === 'number') process.exitCode = code;
  else {
    console.error(`statsmoln: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
