import { App, Button } from 'antd';
import { useI18n } from '../../lib/i18n.tsx';
import { toCsv, type CsvColumn } from './csv.ts';
import { fill } from '../../lib/report-words.ts';

/** Downloads the rows of a report table as a CSV file (made in the browser from what is shown). */
export const ExportCsv = <R,>({
  columns,
  rows,
  fileName,
  testId,
}: {
  columns: readonly CsvColumn<R>[];
  rows: readonly R[];
  fileName: string;
  testId?: string;
}) => {
  const { t } = useI18n();
  const { message } = App.useApp();
  const download = () => {
    const blob = new Blob([toCsv(columns, rows)], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    void message.success(fill(t('rep.exported'), { n: rows.length }));
  };
  return (
    <Button size="small" onClick={download} data-testid={testId} disabled={rows.length === 0}>
      {t('rep.export')}
    </Button>
  );
};
