export interface ImageTestExecutorSchema {
  command?: string[];
  ancestors?: boolean;
  image?: string;
}
