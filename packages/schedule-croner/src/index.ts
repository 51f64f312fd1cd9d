export { CronerSchedules } from './croner-schedules';
