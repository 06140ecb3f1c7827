// Sync: the programme's server this profile talks to. Signing in and out, the server's
// keys (compared with the administrator's before they are trusted), enrolling this
// device, and what background sync is doing: last sync, what waits, errors in words,
// the next try, "Sync now" and the download under way.
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { commands, type SyncAccount, type SyncState } from "../bindings.ts";
import { useLoad, unwrap } from "../app/useLoad.ts";
import { Failure, Loading, ProgressBar } from "../app/states.tsx";
import { announce } from "../app/announce.ts";
import { dateTime, percent } from "../format.ts";
import { toUiError } from "../ipc.ts";
import { useSyncState } from "./store.ts";
import { KeyIcon, SyncIcon } from "./icons.tsx";
import "../study/study.css";
import "./sync.css";

export function SyncScreen() {
  const { t } = useTranslation("sync");
  const [loaded, reload] = useLoad(() => unwrap(commands.syncAccount()), null);
  // What the last action answered; newer than what was loaded.
  const [changed, setChanged] = useState<{ account: SyncAccount | null } | null>(null);
  const state = useSyncState();
  const account = changed !== null ? changed.account : loaded.status === "ready" ? loaded.data : null;
  const update = (next: SyncAccount | null) => setChanged({ account: next });

  return (
    <div className="screen screen--narrow">
      <header className="screen__header">
        <h1 className="screen__title">{t("title")}</h1>
        <p className="screen__lead">{t("lead")}</p>
      </header>

      <StatusCard state={state} signedIn={account !== null} />

      {loaded.status === "loading" && changed === null && <Loading label={t("account.loading")} />}
      {loaded.status === "failed" && changed === null && (
        <Failure title={t("account.failed")} error={loaded.error} onRetry={reload} />
      )}
      {(loaded.status === "ready" || changed !== null) &&
        (account === null ? (
          <SignInCard onSignedIn={update} />
        ) : (
          <>
            <AccountCard account={account} onSignedOut={() => update(null)} />
            <KeysCard account={account} onTrusted={update} />
            <DeviceCard account={account} onEnrolled={update} />
          </>
        ))}
    </div>
  );
}

function Card({ title, children, icon }: { title: string; children: ReactNode; icon?: ReactNode }) {
  const id = useId();
  return (
    <section className="card sync-card" aria-labelledby={id}>
      <h2 id={id} className="card__title sync-card__title">
        {icon}
        {title}
      </h2>
      {children}
    </section>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="sync-facts__row">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function StatusCard({ state, signedIn }: { state: SyncState | null; signedIn: boolean }) {
  const { t } = useTranslation("sync");
  const [asked, setAsked] = useState(false);
  const phase = state?.phase ?? "signed_out";
  const download = state?.download ?? null;

  const syncNow = async () => {
    setAsked(true);
    try {
      await unwrap(commands.syncNow());
      announce(t("status.started"));
    } catch (thrown) {
      announce(toUiError(thrown).message, "assertive");
    } finally {
      setAsked(false);
    }
  };

  return (
    <Card title={t("status.title")} icon={<SyncIcon spinning={phase === "syncing"} />}>
      <p className={`sync-phase sync-phase--${phase}`} role="status" data-testid="sync-phase">
        {t(`status.phase.${phase}`)}
      </p>
      {state?.error != null && (
        <p className="sync-error" data-testid="sync-error">
          {state.error}
        </p>
      )}
      <dl className="sync-facts">
        <Fact term={t("status.lastSync")}>
          <span data-testid="sync-last">{state?.last_sync_at != null ? dateTime(state.last_sync_at) : t("status.never")}</span>
        </Fact>
        <Fact term={t("status.results")}>
          <span data-testid="sync-results">{t("status.waiting", { count: state?.results_waiting ?? 0 })}</span>
        </Fact>
        <Fact term={t("status.events")}>
          <span data-testid="sync-events">{t("status.waiting", { count: state?.events_waiting ?? 0 })}</span>
        </Fact>
        {state?.next_round_at != null && phase !== "syncing" && (
          <Fact term={phase === "idle" ? t("status.nextRound") : t("status.nextTry")}>{dateTime(state.next_round_at)}</Fact>
        )}
      </dl>
      {state?.held_for_exam === true && <p className="field__hint">{t("status.heldForExam")}</p>}
      {download !== null && (
        <div className="sync-download">
          <p>{t("status.downloading", { pack: download.pack_id, version: download.version })}</p>
          <ProgressBar
            value={download.done ?? 0}
            max={download.total ?? 0}
            label={t("status.downloadLabel", { pack: download.pack_id })}
            text={percent((download.total ?? 0) > 0 ? ((download.done ?? 0) / (download.total ?? 1)) * 100 : 0)}
          />
        </div>
      )}
      <div className="sync-actions">
        <button
          type="button"
          className="button"
          onClick={() => void syncNow()}
          disabled={!signedIn || asked || phase === "syncing"}
          aria-describedby={signedIn ? undefined : "sync-now-hint"}
        >
          <SyncIcon />
          {t("status.syncNow")}
        </button>
        {!signedIn && (
          <p id="sync-now-hint" className="field__hint">
            {t("status.signInFirst")}
          </p>
        )}
      </div>
    </Card>
  );
}

/** A labelled text field. */
function TextField(props: {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onChange(value: string): void;
  type?: "text" | "password" | "url";
  autoComplete?: string;
  placeholder?: string;
}) {
  const { id, label, hint, value, onChange, type = "text", autoComplete = "off", placeholder } = props;
  return (
    <div className="field">
      <label htmlFor={id} className="field__label">
        {label}
      </label>
      {hint !== undefined && (
        <p id={`${id}-hint`} className="field__hint">
          {hint}
        </p>
      )}
      <input
        id={id}
        className="study-input"
        type={type}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-describedby={hint === undefined ? undefined : `${id}-hint`}
        autoComplete={autoComplete}
        spellCheck={false}
        autoCapitalize="off"
        placeholder={placeholder}
      />
    </div>
  );
}

/** A form's refusal, in the shell's words. */
function FormError({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <p className="sync-error" role="alert">
      {message}
    </p>
  );
}

function useAction<T>(run: () => Promise<T>, done: (value: T) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      done(await run());
    } catch (thrown) {
      setError(toUiError(thrown).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

function SignInCard({ onSignedIn }: { onSignedIn(account: SyncAccount): void }) {
  const { t } = useTranslation("sync");
  const [server, setServer] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const action = useAction(
    () => unwrap(commands.signIn(server.trim(), username, password)),
    (account) => {
      setPassword("");
      announce(t("signIn.done", { username: account.username }));
      onSignedIn(account);
    },
  );
  const complete = server.trim() !== "" && username.trim() !== "" && password !== "";
  return (
    <Card title={t("signIn.title")}>
      <p className="field__hint">{t("signIn.text")}</p>
      <form className="sync-form" onSubmit={(event) => void action.submit(event)} noValidate>
        <TextField
          id="sync-server"
          label={t("signIn.server")}
          hint={t("signIn.serverHint")}
          value={server}
          onChange={setServer}
          type="url"
          placeholder="http://studyhall.example:8440"
        />
        <TextField id="sync-username" label={t("signIn.username")} value={username} onChange={setUsername} autoComplete="username" />
        <TextField
          id="sync-password"
          label={t("signIn.password")}
          value={password}
          onChange={setPassword}
          type="password"
          autoComplete="current-password"
        />
        <FormError message={action.error} />
        <div className="sync-actions">
          <button type="submit" className="button" disabled={action.busy || !complete}>
            {action.busy ? t("signIn.busy") : t("signIn.submit")}
          </button>
        </div>
      </form>
    </Card>
  );
}

function AccountCard({ account, onSignedOut }: { account: SyncAccount; onSignedOut(): void }) {
  const { t } = useTranslation("sync");
  const action = useAction(
    () => unwrap(commands.signOut()),
    () => {
      announce(t("account.signedOut"));
      onSignedOut();
    },
  );
  return (
    <Card title={t("account.title")}>
      <dl className="sync-facts">
        <Fact term={t("account.server")}>
          <code data-testid="sync-server">{account.server_url}</code>
        </Fact>
        <Fact term={t("account.username")}>
          <span data-testid="sync-username">{account.username}</span>
        </Fact>
        <Fact term={t("account.roles")}>{account.roles.map((role) => t(`role.${role}`, { defaultValue: role })).join(", ")}</Fact>
        <Fact term={t("account.expires")}>
          {account.token_expired ? (
            <strong className="sync-warning">{t("account.expired")}</strong>
          ) : (
            dateTime(account.token_expires_at)
          )}
        </Fact>
      </dl>
      <FormError message={action.error} />
      <div className="sync-actions">
        <button type="button" className="button button--secondary" onClick={() => void action.submit()} disabled={action.busy}>
          {action.busy ? t("account.signingOut") : t("account.signOut")}
        </button>
      </div>
    </Card>
  );
}

function KeysCard({ account, onTrusted }: { account: SyncAccount; onTrusted(account: SyncAccount): void }) {
  const { t } = useTranslation("sync");
  const keys = account.server_keys;
  const [compared, setCompared] = useState(false);
  const action = useAction(
    () => unwrap(commands.trustServerKeys(keys.signing_key_id, keys.sealing_key_id)),
    (next) => {
      announce(t("keys.trustedNow"));
      onTrusted(next);
    },
  );
  return (
    <Card title={t("keys.title")} icon={<KeyIcon />}>
      <p className={`sync-trust sync-trust--${keys.trust}`} data-testid="sync-key-trust">
        {t(`keys.trust.${keys.trust}`)}
      </p>
      <dl className="sync-facts">
        <Fact term={t("keys.signing")}>
          <code className="sync-key-id" data-testid="sync-signing-kid">
            {keys.signing_key_id}
          </code>
        </Fact>
        <Fact term={t("keys.sealing")}>
          <code className="sync-key-id" data-testid="sync-sealing-kid">
            {keys.sealing_key_id}
          </code>
        </Fact>
      </dl>
      {keys.trust === "unconfirmed" && (
        <form className="sync-form" onSubmit={(event) => void action.submit(event)} noValidate>
          <label className="sync-check">
            <input type="checkbox" checked={compared} onChange={(event) => setCompared(event.target.checked)} />
            <span>{t("keys.compared")}</span>
          </label>
          <FormError message={action.error} />
          <div className="sync-actions">
            <button type="submit" className="button button--secondary" disabled={!compared || action.busy}>
              {t("keys.confirm")}
            </button>
          </div>
        </form>
      )}
    </Card>
  );
}

function DeviceCard({ account, onEnrolled }: { account: SyncAccount; onEnrolled(account: SyncAccount): void }) {
  const { t } = useTranslation("sync");
  const [token, setToken] = useState("");
  const action = useAction(
    () => unwrap(commands.enrollDevice(token.trim())),
    (next) => {
      setToken("");
      announce(t("device.enrolledNow"));
      onEnrolled(next);
    },
  );
  return (
    <Card title={t("device.title")}>
      <dl className="sync-facts">
        <Fact term={t("device.keyId")}>
          <code className="sync-key-id">{account.device_key_id}</code>
        </Fact>
        <Fact term={t("device.state")}>
          <span data-testid="sync-enrolled">
            {account.enrolled_at !== null ? t("device.enrolledAt", { at: dateTime(account.enrolled_at) }) : t("device.notEnrolled")}
          </span>
        </Fact>
      </dl>
      {!account.device_enrolled && (
        <form className="sync-form" onSubmit={(event) => void action.submit(event)} noValidate>
          <TextField id="sync-enrollment" label={t("device.token")} hint={t("device.tokenHint")} value={token} onChange={setToken} />
          <FormError message={action.error} />
          <div className="sync-actions">
            <button type="submit" className="button" disabled={action.busy || token.trim() === ""}>
              {action.busy ? t("device.busy") : t("device.submit")}
            </button>
          </div>
        </form>
      )}
    </Card>
  );
}
