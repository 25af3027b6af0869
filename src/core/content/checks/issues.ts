import type { Channel } from '../../channels/channels.ts';
import type { ContentIssue, IssueCode, IssueSeverity } from '../issue.ts';

/** Collects the issues of one channel's checks. */
export class IssueList {
  readonly issues: ContentIssue[] = [];

  constructor(readonly channel: Channel) {}

  add(
    severity: IssueSeverity,
    field: string,
    code: IssueCode,
    message: string,
    index?: number,
    subject?: string,
  ): void {
    this.issues.push({
      channel: this.channel,
      field,
      severity,
      code,
      message,
      ...(index === undefined ? {} : { index }),
      ...(subject === undefined ? {} : { subject }),
    });
  }

  error(field: string, code: IssueCode, message: string, index?: number, subject?: string): void {
    this.add('error', field, code, message, index, subject);
  }

  warning(field: string, code: IssueCode, message: string, index?: number): void {
    this.add('warning', field, code, message, index);
  }

  /** An error when the rendered field is blank; true when it has text. */
  required(field: string, value: string | undefined): boolean {
    if (value !== undefined && value.trim() !== '') return true;
    this.error(field, 'required', `${this.channel}.${field} is empty`);
    return false;
  }
}

/** Characters as people count them (code points, so an emoji is one). */
export const charCount = (s: string): number => [...s].length;
