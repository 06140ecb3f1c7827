// A screen that fails to render shows a calm message with a way back instead of taking
// the whole window down; the error itself goes to the console for whoever debugs it.
import { Component, type ErrorInfo, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "wouter";

type Props = { children: ReactNode };

export class ErrorBoundary extends Component<Props, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error("A screen failed to render", error, info.componentStack);
  }

  override render() {
    return this.state.failed ? <ScreenFailed /> : this.props.children;
  }
}

function ScreenFailed() {
  const { t } = useTranslation();
  return (
    <div className="screen screen--narrow">
      <header className="screen__header">
        <h1 className="screen__title">{t("screenFailed.title")}</h1>
        <p className="screen__lead">{t("screenFailed.text")}</p>
      </header>
      <p>
        <Link href="/" className="button">
          {t("notFound.back")}
        </Link>
      </p>
    </div>
  );
}
