// A chart with its accessible twin: the drawing is one image with a spoken summary, and
// the same numbers are in a table, hidden until asked for but always read by screen readers.
import { useId, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";

/** Chart sizes that recharts wants in pixels, from rem, so they follow the text size. */
export function rem(value: number): number {
  return value * (parseFloat(getComputedStyle(document.documentElement).fontSize) || 16);
}

type Props = {
  title: string;
  /** One or two sentences saying what the chart shows, for everyone. */
  summary: string;
  /** The table's column headings; the first column labels the rows. */
  columns: string[];
  rows: { key: string; cells: string[] }[];
  /** CSS class for the chart's box, which sets its height. */
  size?: "short" | "tall";
  children: ReactNode;
};

export function ChartCard({ title, summary, columns, rows, size = "short", children }: Props) {
  const { t } = useTranslation("progress");
  const [tableShown, setTableShown] = useState(false);
  const titleId = useId();
  const tableId = useId();
  return (
    <section className="card chart-card" aria-labelledby={titleId}>
      <div className="chart-card__header">
        <h2 id={titleId} className="card__title">
          {title}
        </h2>
        <button
          type="button"
          className="button button--ghost button--small"
          aria-expanded={tableShown}
          aria-controls={tableId}
          onClick={() => setTableShown((shown) => !shown)}
        >
          {tableShown ? t("chart.showChart") : t("chart.showTable")}
        </button>
      </div>
      <p className="card__text">{summary}</p>
      {!tableShown && (
        <div className={`chart chart--${size}`} role="img" aria-label={summary}>
          {children}
        </div>
      )}
      <div id={tableId} className={tableShown ? "table-wrap" : "visually-hidden"}>
        <table className="data-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              {columns.map((column, index) => (
                <th key={column} scope="col" className={index === 0 ? undefined : "data-table__number"}>
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key}>
                {row.cells.map((cell, index) =>
                  index === 0 ? (
                    <th key={index} scope="row">
                      {cell}
                    </th>
                  ) : (
                    <td key={index} className="data-table__number">
                      {cell}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
