/**
 * Deprecation with a date: `sunset` (the day the product stops) and `successor` (the major that
 * replaces it). A deprecated product needs its sunset, so consumers know how long they have and
 * the generated rules can warn before it; both belong to a product on its way out only; the
 * successor is a later major of the same product.
 */
import type { SemanticContext } from './semantic-context.js';

/** True when YYYY-MM-DD names a day that exists (2027-02-30 does not). */
export function isCalendarDay(text: string): boolean {
  const at = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === text;
}

export function checkLifecycle(ctx: SemanticContext): void {
  const { root, issues, validString } = ctx;
  const status = validString(['status'], root.status);
  const sunset = validString(['sunset'], root.sunset);
  const leaving = status === 'deprecated' || status === 'retired';
  if (sunset !== undefined && !isCalendarDay(sunset)) issues.add(['sunset'], `${sunset} is not a day of the calendar; e.g. 2027-03-31`);
  if (status === 'deprecated' && root.sunset === undefined)
    issues.add(
      ['sunset'],
      'required with status: deprecated: the day the product stops (YYYY-MM-DD), so its consumers know how long they have',
    );
  if (status !== undefined && !leaving) {
    if (root.sunset !== undefined) issues.add(['sunset'], `only for a deprecated or retired product; status is ${status}`);
    if (root.successor !== undefined) issues.add(['successor'], `only for a deprecated or retired product; status is ${status}`);
  }
  const version = validString(['version'], root.version);
  if (typeof root.successor === 'number' && !issues.has(['successor']) && version !== undefined) {
    const major = Number(version.split('.')[0]);
    if (root.successor <= major)
      issues.add(
        ['successor'],
        `must be a later major than this one (${major}): the major whose topic replaces .v${major}, e.g. ${major + 1}`,
      );
  }
}
