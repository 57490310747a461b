/** A profile imported into the editor: the file, the workspace folder and the analysis. */
import type { ProfileAnalysis } from '../profile/analyze';
import type { FolderState } from './analysis';

export interface LoadedProfile {
  readonly file: string;
  readonly folder: FolderState;
  readonly result: ProfileAnalysis;
}
