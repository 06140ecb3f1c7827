// The progress dashboard: the study streak, how far each course has come (overall and per
// module), time on task over the last two weeks, and quiz accuracy per topic.
import { useTranslation } from "react-i18next";
import { Link } from "wouter";
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis, type TooltipContentProps } from "recharts";
import { commands, type CourseProgress, type CourseSummary, type DailyActivity, type Streak, type TopicAccuracy } from "../bindings.ts";
import { unwrap, useLoad } from "../app/useLoad.ts";
import { Failure, Loading, ProgressBar } from "../app/states.tsx";
import { CheckIcon, FlameIcon, TrophyIcon } from "../app/icons.tsx";
import { useReducedMotion } from "../app/preferences.tsx";
import { percent, shortDay, timeSpent } from "../format.ts";
import { courseRoute } from "../study/route.ts";
import { ChartCard, rem } from "./ChartCard.tsx";

const DAYS = 14;

type CourseDetails = { course: CourseSummary; progress: CourseProgress; topics: TopicAccuracy[] };
type Dashboard = { days: DailyActivity[]; streak: Streak; courses: CourseDetails[] };

async function loadDashboard(): Promise<Dashboard> {
  const [days, streak, courses] = await Promise.all([
    unwrap(commands.dailyActivity(DAYS)),
    unwrap(commands.streak()),
    unwrap(commands.listCourses()),
  ]);
  const details = await Promise.all(
    courses.map(async (course) => {
      const [progress, topics] = await Promise.all([
        unwrap(commands.courseProgress(course.id)),
        unwrap(commands.topicAccuracy(course.id)),
      ]);
      return { course, progress, topics };
    }),
  );
  return { days, streak, courses: details };
}

export function ProgressScreen() {
  const { t } = useTranslation("progress");
  const [dashboard, reload] = useLoad(loadDashboard, null);
  return (
    <div className="screen">
      <header className="screen__header">
        <h1 className="screen__title">{t("title")}</h1>
        <p className="screen__lead">{t("lead")}</p>
      </header>
      {dashboard.status === "loading" && <Loading label={t("loading")} />}
      {dashboard.status === "failed" && <Failure title={t("failed")} error={dashboard.error} onRetry={reload} />}
      {dashboard.status === "ready" && (
        <>
          <StreakTiles streak={dashboard.data.streak} />
          <TimeOnTask days={dashboard.data.days} />
          <Completion courses={dashboard.data.courses} />
          {dashboard.data.courses
            .filter((details) => details.topics.length > 0)
            .map((details) => (
              <TopicChart key={details.course.id} details={details} />
            ))}
        </>
      )}
    </div>
  );
}

function StreakTiles({ streak }: { streak: Streak }) {
  const { t } = useTranslation("progress");
  return (
    <section aria-labelledby="streak-title" className="stats">
      <h2 id="streak-title" className="visually-hidden">
        {t("streak.title")}
      </h2>
      <div className="stat stat--flame">
        <FlameIcon />
        <p className="stat__value">{t("streak.days", { count: streak.current_days })}</p>
        <p className="stat__label">{t("streak.current")}</p>
      </div>
      <div className="stat stat--trophy">
        <TrophyIcon />
        <p className="stat__value">{t("streak.days", { count: streak.longest_days })}</p>
        <p className="stat__label">{t("streak.longest")}</p>
      </div>
      <div className={streak.studied_today ? "stat stat--done" : "stat"}>
        <CheckIcon />
        <p className="stat__value">{streak.studied_today ? t("streak.todayYes") : t("streak.todayNo")}</p>
        <p className="stat__label">{t("streak.today")}</p>
      </div>
    </section>
  );
}

function ChartTooltip({ active, payload, label }: TooltipContentProps) {
  const entry = payload?.[0];
  if (active !== true || entry === undefined) return null;
  const text = (entry.payload as { tooltip?: string }).tooltip ?? "";
  return (
    <div className="chart-tooltip">
      <p className="chart-tooltip__label">{label}</p>
      <p>{text}</p>
    </div>
  );
}

function TimeOnTask({ days }: { days: DailyActivity[] }) {
  const { t } = useTranslation("progress");
  const reducedMotion = useReducedMotion();
  const total = days.reduce((sum, day) => sum + day.active_seconds, 0);
  const activeDays = days.filter((day) => day.active_seconds > 0).length;
  const data = days.map((day) => ({
    label: shortDay(day.day),
    minutes: Math.round(day.active_seconds / 60),
    tooltip: timeSpent(day.active_seconds),
  }));
  const summary =
    total === 0
      ? t("time.summaryNone", { count: DAYS })
      : t("time.summary", { count: DAYS, total: timeSpent(total), days: activeDays });

  return (
    <ChartCard
      title={t("time.title", { count: DAYS })}
      summary={summary}
      columns={[t("time.day"), t("time.spent"), t("time.lessons"), t("time.answers")]}
      rows={days.map((day) => ({
        key: day.day,
        cells: [shortDay(day.day), timeSpent(day.active_seconds), String(day.lessons_completed), String(day.answers)],
      }))}
    >
      {total === 0 ? (
        <p className="chart__empty">{t("time.empty")}</p>
      ) : (
        <BarChart
          data={data}
          responsive
          accessibilityLayer={false}
          style={{ width: "100%", height: "100%" }}
          margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
        >
          <CartesianGrid vertical={false} className="chart__grid" />
          <XAxis dataKey="label" tickLine={false} axisLine={false} interval="preserveStartEnd" minTickGap={8} />
          <YAxis
            allowDecimals={false}
            tickLine={false}
            axisLine={false}
            width={rem(4.5)}
            tickFormatter={(minutes: number) => t("time.tick", { minutes })}
          />
          <Tooltip content={ChartTooltip} cursor={{ className: "chart__cursor" }} isAnimationActive={!reducedMotion} />
          <Bar dataKey="minutes" className="chart__bar" radius={[4, 4, 0, 0]} maxBarSize={36} isAnimationActive={!reducedMotion} />
        </BarChart>
      )}
    </ChartCard>
  );
}

function Completion({ courses }: { courses: CourseDetails[] }) {
  const { t } = useTranslation("progress");
  return (
    <section className="card" aria-labelledby="completion-title">
      <h2 id="completion-title" className="card__title">
        {t("completion.title")}
      </h2>
      {courses.length === 0 ? (
        <p className="card__text">
          {t("completion.empty")}{" "}
          <Link href="/" className="text-link">
            {t("completion.toLibrary")}
          </Link>
        </p>
      ) : (
        <ul className="completion">
          {courses.map(({ course, progress }) => (
            <li key={course.id} className="completion__course">
              <div className="completion__head">
                <h3 className="completion__title">
                  <Link href={courseRoute(course.id)} className="text-link">
                    {course.title}
                  </Link>
                </h3>
                <p className="completion__numbers">
                  {t("completion.lessons", { completed: progress.completed, lessons: progress.lessons })} ·{" "}
                  <strong>{percent(progress.percent)}</strong> · {t("completion.time", { time: timeSpent(progress.active_seconds) })}
                </p>
              </div>
              <ProgressBar
                value={progress.completed}
                max={progress.lessons}
                label={t("completion.courseLabel", { title: course.title })}
                text={t("completion.value", { completed: progress.completed, lessons: progress.lessons })}
              />
              <ul className="completion__modules" aria-label={t("completion.modules", { title: course.title })}>
                {progress.modules.map((module) => (
                  <li key={module.module_id} className="completion__module">
                    <span className="completion__module-title">{module.title}</span>
                    <ProgressBar
                      value={module.completed}
                      max={module.lessons}
                      label={module.title}
                      text={t("completion.value", { completed: module.completed, lessons: module.lessons })}
                    />
                    <span className="completion__module-count">
                      {module.completed}/{module.lessons}
                    </span>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function TopicChart({ details }: { details: CourseDetails }) {
  const { t } = useTranslation("progress");
  const reducedMotion = useReducedMotion();
  const { course, topics } = details;
  const answered = topics.filter((topic) => topic.accuracy !== null);
  const data = answered.map((topic) => ({
    title: topic.title,
    accuracy: Math.round((topic.accuracy ?? 0) * 100),
    tooltip: t("topics.tooltip", { percent: percent((topic.accuracy ?? 0) * 100), count: topic.answers }),
  }));
  const weakest = [...answered].sort((a, b) => (a.accuracy ?? 0) - (b.accuracy ?? 0))[0];
  const summary =
    answered.length === 0
      ? t("topics.summaryNone")
      : t("topics.summary", {
          count: answered.length,
          weakest: weakest?.title ?? "",
          percent: percent((weakest?.accuracy ?? 0) * 100),
        });
  // Room for each topic's bar and label, in rem so it grows with the text size.
  const height = `${Math.max(8, answered.length * 2.75 + 3)}rem`;

  return (
    <ChartCard
      title={t("topics.title", { title: course.title })}
      summary={summary}
      columns={[t("topics.topic"), t("topics.accuracy"), t("topics.answers")]}
      rows={topics.map((topic) => ({
        key: topic.topic_id,
        cells: [
          topic.title,
          topic.accuracy === null ? t("topics.notYet") : percent(topic.accuracy * 100),
          String(topic.answers),
        ],
      }))}
      size="tall"
    >
      {answered.length === 0 ? (
        <p className="chart__empty">{t("topics.summaryNone")}</p>
      ) : (
        <div style={{ height }}>
          <BarChart
            data={data}
            layout="vertical"
            responsive
            accessibilityLayer={false}
            style={{ width: "100%", height: "100%" }}
            margin={{ top: 0, right: 16, bottom: 0, left: 0 }}
          >
            <CartesianGrid horizontal={false} className="chart__grid" />
            <XAxis
              type="number"
              domain={[0, 100]}
              tickFormatter={(value: number) => percent(value)}
              tickLine={false}
              axisLine={false}
            />
            <YAxis type="category" dataKey="title" width={rem(12)} tickLine={false} axisLine={false} />
            <Tooltip content={ChartTooltip} cursor={{ className: "chart__cursor" }} isAnimationActive={!reducedMotion} />
            <Bar
              dataKey="accuracy"
              className="chart__bar chart__bar--accuracy"
              radius={[0, 4, 4, 0]}
              maxBarSize={28}
              isAnimationActive={!reducedMotion}
            />
          </BarChart>
        </div>
      )}
    </ChartCard>
  );
}
