import { adoptionSuite, SHAPES } from './harness/adopt-suite';

adoptionSuite(SHAPES[1]);
