// The door of lab/images: the in-process apps a container image runs, matched on the image name
// without tag or digest.
export type { App, ContainerContext, Image, PodNetwork } from './app.js';
export { defaultEcho } from './echo.js';
export { builtinImages, imageName } from './registry.js';
