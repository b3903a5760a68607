/**
 * The test harness's public surface: private dockerd and sshd instances, the busybox base image
 * and the whole test environment. The code lives in the modules re-exported here.
 */
export { freePort, listProcesses, run, toolEnv, which, type RunOptions } from './processes';
export { unmountUnder } from './dockerdCleanup';
export { startDockerd, type DockerdHandle, type DockerdOptions, type TcpTlsListener } from './dockerd';
export { BASE_IMAGE, importBusybox } from './busyboxImage';
export { startSshd, type SshdHandle, type SshdOptions } from './sshd';
export { cleanupStaleRuns, removeRunRoot, RUNNER_PID_FILE, startTestEnvironment, type RunningTestEnvironment, type TestEnvironment } from './testEnvironment';
