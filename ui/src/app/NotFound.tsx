import { useTranslation } from "react-i18next";
import { Link } from "wouter";

export function NotFound() {
  const { t } = useTranslation();
  return (
    <div className="screen screen--narrow">
      <header className="screen__header">
        <h1 className="screen__title">{t("notFound.title")}</h1>
        <p className="screen__lead">{t("notFound.text")}</p>
      </header>
      <p>
        <Link href="/" className="button">
          {t("notFound.back")}
        </Link>
      </p>
    </div>
  );
}
