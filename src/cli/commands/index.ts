import type { Command } from 'commander';
import { registerLocal } from './local.js';
import { registerPlan } from './plan.js';
import { registerRun } from './run.js';
import { registerUsage } from './usage.js';
import { registerValidate } from './validate.js';

/** Each command module exports a function that adds its subcommand to the program. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [registerValidate, registerLocal, registerUsage, registerRun, registerPlan];
