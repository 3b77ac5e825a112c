import { adoptionSuite, SHAPES } from './harness/adopt-suite';

adoptionSuite(SHAPES[0]);
