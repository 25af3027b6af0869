import { describe, expect, it } from 'vitest';
import { canOnAudience, ROLES, type Actor, type AudienceAction, type Role } from '../src/core/auth/roles.ts';
import { csvCell, csvLine } from '../src/core/export/csv.ts';

const actor = (role: Role, userId = 1): Actor => ({ userId, workspaceId: 'default', name: role, role });

describe('audience permissions, each role × each action', () => {
  // true: allowed on one's own audience; 'own': only one's own (or admin); false: never.
  const expected: Record<AudienceAction, Record<Role, boolean | 'own'>> = {
    'audience.read': { admin: true, reviewer: true, operator: true, viewer: true },
    'audience.preview': { admin: true, reviewer: true, operator: true, viewer: true },
    'audience.create': { admin: true, reviewer: false, operator: true, viewer: false },
    'audience.update': { admin: true, reviewer: false, operator: 'own', viewer: false },
    'audience.delete': { admin: true, reviewer: false, operator: 'own', viewer: false },
    'audience.snapshot': { admin: true, reviewer: true, operator: true, viewer: false },
    'audience.export': { admin: true, reviewer: false, operator: true, viewer: false },
    'audience.export_contacts': { admin: true, reviewer: false, operator: false, viewer: false },
  };
  for (const [action, byRole] of Object.entries(expected) as [
    AudienceAction,
    Record<Role, boolean | 'own'>,
  ][]) {
    for (const role of ROLES) {
      it(`${role} → ${action}`, () => {
        const rule = byRole[role];
        const own = canOnAudience(actor(role, 1), action, 1);
        const others = canOnAudience(actor(role, 1), action, 2);
        expect(own.allowed).toBe(rule !== false);
        expect(others.allowed).toBe(rule === true);
        if (!others.allowed) expect(others.reason).toMatch(/may not|only the owner/);
      });
    }
  }
});

describe('CSV cells', () => {
  it('quotes what needs quoting and defuses formulas, but keeps phone numbers and negative amounts', () => {
    expect(csvLine(['a', 'b,c', 'say "hi"', 'two\nlines', null, 3.5, true])).toBe(
      'a,"b,c","say ""hi""","two\nlines",,3.5,true\r\n',
    );
    expect(csvCell('=1+2')).toBe("'=1+2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('+cmd|calc')).toBe("'+cmd|calc");
    expect(csvCell('-cmd')).toBe("'-cmd");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('+8613800000000')).toBe('+8613800000000');
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell(new Date(Date.UTC(2026, 0, 2)))).toBe('2026-01-02T00:00:00.000Z');
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
  });
});
