import { describe, expect, it } from 'vitest';
import {
  dkimToSend,
  fieldErrorKey,
  fieldOfPath,
  formToSecrets,
} from '../console/src/features/team/provider-fields.ts';

/**
 * The provider form's secrets (issue 18): what it sends for a secret typed, kept, or cleared, and
 * for SMTP's DKIM group; and where and in which words a server refusal is shown.
 */
describe('provider form secrets', () => {
  it('sends typed secrets, null for an optional one being cleared, never null for a required one', () => {
    expect(formToSecrets('webhook', { secret: '', receiptSecret: '' })).toEqual({});
    expect(formToSecrets('webhook', { secret: 'x'.repeat(16) }, ['receiptSecret'])).toEqual({
      secret: 'x'.repeat(16),
      receiptSecret: null,
    });
    // `secret` is required for a webhook: a clear request for it is ignored (the button is disabled).
    expect(formToSecrets('webhook', {}, ['secret'])).toEqual({});
  });

  it('sends DKIM only when new or changed; without the key when it is kept; null to turn it off', () => {
    const stored = { domainName: 'shop.example.com', keySelector: 'rk1' };
    expect(dkimToSend(undefined, undefined, false)).toEqual({});
    expect(dkimToSend({ domainName: ' ', keySelector: '' }, undefined, false)).toEqual({});
    expect(dkimToSend({ ...stored, privateKey: '' }, stored, false)).toEqual({});
    expect(dkimToSend({ ...stored, keySelector: 'rk2' }, stored, false)).toEqual({
      dkim: { domainName: 'shop.example.com', keySelector: 'rk2' },
    });
    expect(dkimToSend({ ...stored, privateKey: ' PEM ' }, undefined, false)).toEqual({
      dkim: { ...stored, privateKey: 'PEM' },
    });
    expect(dkimToSend({ ...stored }, stored, true)).toEqual({ dkim: null });
    expect(dkimToSend({ ...stored }, undefined, true)).toEqual({});
  });

  it('puts each refusal under its field in words', () => {
    expect(fieldOfPath('smtp', 'secrets.dkim.privateKey')).toEqual(['dkim', 'privateKey']);
    expect(fieldOfPath('smtp', 'secrets.dkim.keySelector')).toEqual(['dkim', 'keySelector']);
    expect(fieldOfPath('smtp', 'secrets.dkim')).toEqual(['dkim', 'privateKey']);
    expect(fieldOfPath('webhook', 'secrets.secret')).toEqual(['secrets', 'secret']);
    expect(fieldErrorKey('secrets.dkim.privateKey', 'an RSA key is needed, not ec')).toBe('prov.dkim.notRsa');
    expect(fieldErrorKey('secrets.dkim.privateKey', 'not a readable PEM private key')).toBe(
      'prov.dkim.unreadable',
    );
    expect(fieldErrorKey('secrets.dkim.keySelector', "Expected string to match '…'")).toBe(
      'prov.dkim.selectorInvalid',
    );
    expect(
      fieldErrorKey('secrets.secret', 'required: it cannot be removed, only replaced by a new value'),
    ).toBe('prov.secret.refused');
    expect(fieldErrorKey('config.url', 'Expected string')).toBe('prov.form.invalid');
  });
});
