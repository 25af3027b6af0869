import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseExportColumns } from '../src/core/export/columns.ts';
import { exportCells, exportedColumns, exportNeeds } from '../src/core/export/export-rows.ts';
import {
  emailSha256,
  normalizedEmail,
  normalizedPhone,
  phoneSha256,
} from '../src/core/export/hashed-contacts.ts';

/** The expected digests are computed here from the literal normalised text, not by the code under test. */
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe('hashed contacts for ad platforms', () => {
  it('hashes a phone as its E.164 form with +, whatever way it was written', () => {
    const expected = sha('+8613812345678');
    // Sanity: a digest of the documented form, 64 lower-case hex digits.
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    for (const written of [
      '13812345678',
      '+8613812345678',
      '+86 138-1234-5678',
      ' 138 1234 5678 ',
      '008613812345678',
      '8613812345678',
      '+86 (138) 1234.5678',
      '１３８１２３４５６７８', // full-width digits from a Chinese input method
      13812345678,
    ])
      expect(phoneSha256(written), String(written)).toBe(expected);
    expect(normalizedPhone('+86 138-1234-5678')).toBe('+8613812345678');
    // Not the hash of the national or the digits-only form (what a wrong normalisation gives).
    expect(phoneSha256('13812345678')).not.toBe(sha('13812345678'));
    expect(phoneSha256('13812345678')).not.toBe(sha('8613812345678'));
  });

  it('keeps other countries as E.164 and a mainland landline with its area code', () => {
    expect(phoneSha256('+1 (650) 555-1234')).toBe(sha('+16505551234'));
    expect(phoneSha256('010 1234 5678')).toBe(sha('+861012345678'));
  });

  it('gives null, not an error, for what is not a phone number', () => {
    for (const bad of [
      '12345',
      '1381234567',
      '23812345678',
      'call me',
      '',
      '   ',
      '+0 123',
      null,
      undefined,
      {},
      -5,
    ])
      expect(phoneSha256(bad), JSON.stringify(bad)).toBeNull();
  });

  it('hashes an e-mail trimmed and lower-cased', () => {
    const expected = sha('lisa.wang@example.com');
    expect(emailSha256('lisa.wang@example.com')).toBe(expected);
    expect(emailSha256('  Lisa.Wang@Example.COM\t')).toBe(expected);
    expect(normalizedEmail(' A@B.CN ')).toBe('a@b.cn');
    expect(emailSha256('Lisa.Wang@Example.COM')).not.toBe(sha('Lisa.Wang@Example.COM'));
  });

  it('gives null for what is not an e-mail address', () => {
    for (const bad of [
      '',
      '   ',
      'no-at-sign',
      '@example.com',
      'lisa@',
      'li sa@example.com',
      'a@b@c',
      null,
      42,
    ])
      expect(emailSha256(bad), JSON.stringify(bad)).toBeNull();
  });
});

describe('export columns', () => {
  it('parses fixed columns, score columns and chosen traits, without repeats', () => {
    const r = parseExportColumns(' city, churn_risk_level ,traits.favourite_category,city,phone_sha256');
    expect(r).toEqual({
      ok: true,
      value: ['city', 'churn_risk_level', 'traits.favourite_category', 'phone_sha256'],
    });
    expect(parseExportColumns('')).toEqual({ ok: true, value: [] });
  });

  it('refuses unknown columns and trait keys that are not plain names', () => {
    const unknown = parseExportColumns('city,password');
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error).toContain("'password'");
    for (const bad of ['traits.', 'traits.a.b', "traits.x') --", 'traits.$x', `traits.${'k'.repeat(65)}`]) {
      const r = parseExportColumns(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error, bad).toMatch(/trait key/);
    }
  });

  it('reads the raw contacts a hash needs, and drops raw contacts but not hashes under contacts=none', () => {
    const cols = exportedColumns(['phone', 'email', 'phone_sha256', 'email_sha256', 'rfm_tier'], 'none');
    expect(cols).toEqual(['phone_sha256', 'email_sha256', 'rfm_tier']);
    expect(exportNeeds(cols)).toEqual({
      profile: ['phone', 'email'],
      scores: ['rfm_tier'],
      churnReason: false,
      topReason: false,
      traits: [],
    });
  });

  it('writes each cell: masked raw contacts, hashes of the raw ones, the reason as a sentence', () => {
    const columns = parseExportColumns(
      'phone,phone_sha256,email_sha256,churn_risk_score,churn_reason,top_risk_reason,traits.partner',
    );
    if (!columns.ok) throw new Error(columns.error);
    const row = {
      user_id: 'u1',
      phone: '+8613812345678',
      email: ' Lisa@Example.com',
      churn_risk_score: 81.5,
      churn_reason: 'price',
      reason_feature: 'days_since_last_event',
      reason_value: 15.537,
      reason_contribution: 0.8,
      'traits.partner': 'app_union',
    };
    const en = exportCells(columns.value, row, { contacts: 'masked', locale: 'en' });
    expect(en).toEqual([
      'u1',
      '138****5678',
      sha('+8613812345678'),
      sha('lisa@example.com'),
      81.5,
      'price',
      expect.stringMatching(/^No activity for 1[56]/),
      'app_union',
    ]);
    const zh = exportCells(columns.value, row, { contacts: 'clear', locale: 'zh-CN' });
    expect(zh[1]).toBe('+8613812345678');
    expect(zh[6]).toMatch(/没有任何行为/);
    const empty = exportCells(
      columns.value,
      { user_id: 'u2', phone: '12345', email: null },
      {
        contacts: 'masked',
        locale: 'en',
      },
    );
    expect(empty).toEqual(['u2', '***45', null, null, undefined, undefined, null, undefined]);
  });
});
