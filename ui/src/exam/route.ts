// Where the exam screens live in the hash router.

export const EXAMS_ROUTE = "/exams";

/** The lobby, or the exam itself once it runs. */
export function examRoute(sessionId: string): string {
  return `/exam/${encodeURIComponent(sessionId)}`;
}

export function examResultRoute(sessionId: string): string {
  return `${examRoute(sessionId)}/result`;
}

/** The proctor's resume-code challenge after a long interruption. */
export function examResumeRoute(sessionId: string): string {
  return `${examRoute(sessionId)}/resume`;
}
