import { parseBuildTime } from '../core/naming/templates';

/**
 * The build's time, which `{time}` templates render: the option, else
 * IMAGE_BUILD_TIME (CI gives every job of a run the plan's), else the clock.
 */
export function resolveBuildTime(option: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env, clock: () => Date = () => new Date()): Date {
  if (option?.trim()) return parseBuildTime(option.trim(), '--buildTime');
  const fromEnv = env.IMAGE_BUILD_TIME?.trim();
  return fromEnv ? parseBuildTime(fromEnv, 'IMAGE_BUILD_TIME') : clock();
}
