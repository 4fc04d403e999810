// Option parsers every command shares, so the same flag reads and fails the same way everywhere.
import { InvalidArgumentError } from 'commander';

/** An integer option between `min` and `max`; anything else is a one-line usage error. */
export function countOption(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}
