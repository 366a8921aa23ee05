export { replaceFile, isImmutable, setImmutable } from "./immutable.js";
export { sudoersEntry } from "./sudoers.js";
export { serviceUnit, UNIT_NAME, type UnitChoices } from "./unit.js";
export { apparmorProfile, APPARMOR_PROFILE } from "./apparmor.js";
export { readManifest, MANIFEST_FILE, LAYERS, type LayerName, type LayerRecord, type Manifest, type Undo } from "./manifest.js";
export { planInstall, undoAll, ownedPaths, installedConfig, HARDEN, type Harden, type InstallChoices, type LayerPlan, type Step } from "./layers.js";
export { DEFAULT_PLACES, type InstallPlaces } from "./places.js";
