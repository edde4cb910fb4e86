# Helpers of the backup steps (prepended to client.sh and target.sh).
# install_missing CMD PACKAGE(debian) PACKAGE(rhel): installs the package
# when CMD is missing (kept on delete, like the packages step's).
install_missing() {
	command -v "$1" >/dev/null && return 0
	case "$(os_family)" in
	debian) apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null ;;
	rhel) dnf install -y -q "$3" ;;
	*) false ;;
	esac || { log "error: $1 is missing and $2 could not be installed"; exit 1; }
	log "installed $2"
	mark_changed
}
