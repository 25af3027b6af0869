/**
 * What an operator should fix before an SMS goes to review: length in billing parts (70
 * characters for one part with Chinese text, 67 per part once it is split; 160/153 for GSM
 * text), the 【signature】 carriers require, and an opt-out hint.
 */
export interface SmsCheck {
  length: number;
  parts: number;
  signatureMissing: boolean;
  optOutMissing: boolean;
}

const GSM = /^[\x20-\x7e\n\r]*$/;

export const checkSms = (text: string, signature: string): SmsCheck => {
  const full = `${signature}${text}`;
  const length = [...full].length;
  const gsm = GSM.test(full);
  const single = gsm ? 160 : 70;
  const multi = gsm ? 153 : 67;
  const parts = length === 0 ? 0 : length <= single ? 1 : Math.ceil(length / multi);
  return {
    length,
    parts,
    signatureMissing: !/^【[^】]+】$/.test(signature.trim()),
    optOutMissing: !/退订|STOP/i.test(text),
  };
};
