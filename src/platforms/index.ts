import type { PlatformFactory, PlatformId } from './types.ts';

/** Each adapter is loaded only when its platform is used: octokit and gitbeaker are the heaviest modules loom has. */
export const platformFactories = {
  github: async () => (await import('./github.ts')).createGitHubPlatform,
  gitlab: async () => (await import('./gitlab.ts')).createGitLabPlatform,
  azure: async () => (await import('./azure.ts')).createAzurePlatform,
  bitbucket: async () => (await import('./bitbucket.ts')).createBitbucketPlatform,
  gitea: async () => (await import('./gitea.ts')).createGiteaPlatform,
} satisfies Record<PlatformId, () => Promise<PlatformFactory>>;
