package k3s

// `k3s secrets-encrypt rotate-keys` (rotate and re-encrypt in one command,
// no prepare/rotate/reencrypt restarts) exists from the September 2024
// releases v1.30.5+k3s1 and v1.31.1+k3s1 (docs.k3s.io/cli/secrets-encrypt,
// "Encryption Key Rotation"). Older releases need the three-stage
// procedure, which this program does not drive.
const (
	rotateKeysMinor30Patch = 5  // v1.30.5+k3s1
	rotateKeysAllFromMinor = 31 // v1.31.1+k3s1, the first 1.31 release
)

// RotateKeysSupported reports whether a k3s release (minor, patch) has
// `k3s secrets-encrypt rotate-keys`.
func RotateKeysSupported(minor, patch int) bool {
	return minor >= rotateKeysAllFromMinor || (minor == 30 && patch >= rotateKeysMinor30Patch)
}
