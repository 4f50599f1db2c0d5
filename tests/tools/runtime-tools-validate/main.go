// runtime-tools-validate checks an OCI runtime bundle with the
// opencontainers/runtime-tools "validate" package (Debian's
// golang-github-opencontainers-runtime-tools-dev), without its network-bound
// JSON-schema check and without its CheckSemVer (which only accepts the
// single spec version the library was built for, "1.0.2-dev").
//
// Usage: runtime-tools-validate [-host-specific] [-platform linux]
//
//	[-compliance-level must|should|may] [-strict-ambient] [-v] BUNDLE_DIR
//
// One line per error on stdout; RFC 2119 violations below the compliance
// level (default "must", like oci-runtime-tool) are printed as warnings on
// stderr and do not fail the run.  Exit 0 when valid, 1 otherwise.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"github.com/blang/semver"
	multierror "github.com/hashicorp/go-multierror"
	rspec "github.com/opencontainers/runtime-spec/specs-go"
	rfc2119 "github.com/opencontainers/runtime-tools/error"
	"github.com/opencontainers/runtime-tools/specerror"
	"github.com/opencontainers/runtime-tools/validate"
	"github.com/sirupsen/logrus"
)

// Official SemVer 2.0.0 regex (https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string).
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

var validNamespaceTypes = map[rspec.LinuxNamespaceType]bool{
	rspec.PIDNamespace:     true,
	rspec.NetworkNamespace: true,
	rspec.MountNamespace:   true,
	rspec.IPCNamespace:     true,
	rspec.UTSNamespace:     true,
	rspec.UserNamespace:    true,
	rspec.CgroupNamespace:  true,
}

// runtime-tools (not the runtime-spec) rejects ambient capabilities that are
// not also permitted+inheritable.  That is the kernel's invariant
// (capabilities(7)), but runc >= 1.1.2 "runc spec" itself emits ambient caps
// with no inheritable set (CVE-2022-29162 fix), and runc ignores the failure.
// Treat it as a warning unless -strict-ambient is given.
var ambientRE = regexp.MustCompile(`^ambient capability ".*" is not allowed`)

type result struct {
	errors        []string
	warnings      []string
	strictAmbient bool
}

// flatten expands (possibly nested, possibly empty) *multierror.Error values.
// Note: the validate package often returns a non-nil but empty
// *multierror.Error, so "err != nil" is not a usable validity test.
func flatten(err error, out []error) []error {
	if err == nil {
		return out
	}
	if m, ok := err.(*multierror.Error); ok {
		if m == nil {
			return out
		}
		for _, e := range m.Errors {
			out = flatten(e, out)
		}
		return out
	}
	return append(out, err)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func (r *result) add(check string, err error, level rfc2119.Level) {
	var errs, warns []string
	for _, e := range flatten(err, nil) {
		if se, ok := e.(*specerror.Error); ok {
			msg := fmt.Sprintf("%s: [%s] %s (see %s)", check, se.Err.Level, oneLine(se.Err.Err.Error()), se.Err.Reference)
			if se.Err.Level < level {
				warns = append(warns, msg)
			} else {
				errs = append(errs, msg)
			}
			continue
		}
		msg := fmt.Sprintf("%s: %s", check, oneLine(e.Error()))
		if !r.strictAmbient && ambientRE.MatchString(e.Error()) {
			warns = append(warns, msg+" (not a runtime-spec requirement; -strict-ambient makes it fatal)")
			continue
		}
		errs = append(errs, msg)
	}
	// Some checks iterate over maps: sort for stable output.
	sort.Strings(errs)
	sort.Strings(warns)
	r.errors = append(r.errors, errs...)
	r.warnings = append(r.warnings, warns...)
}

// run calls one check, turning a panic (the library dereferences e.g.
// spec.Root without nil checks in places) into an error.
func (r *result) run(name string, level rfc2119.Level, f func() error) {
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic in runtime-tools validate: %v", p)
			}
		}()
		err = f()
	}()
	r.add(name, err, level)
}

func checkVersion(version string) error {
	if version == "" {
		return fmt.Errorf("ociVersion is empty")
	}
	var errs error
	if !semverRE.MatchString(version) {
		errs = multierror.Append(errs, fmt.Errorf("ociVersion %q is not SemVer 2.0.0 (semver.org regex)", version))
	}
	if _, err := semver.Parse(version); err != nil {
		errs = multierror.Append(errs, fmt.Errorf("ociVersion %q is not SemVer 2.0.0 (blang/semver: %v)", version, err))
	}
	return errs
}

func checkNamespaceTypes(spec *rspec.Spec) error {
	if spec.Linux == nil {
		return nil
	}
	var errs error
	for i, ns := range spec.Linux.Namespaces {
		if !validNamespaceTypes[ns.Type] {
			errs = multierror.Append(errs, fmt.Errorf("linux.namespaces[%d].type %q is not a valid namespace type", i, ns.Type))
		}
	}
	return errs
}

func loadSpec(bundle string) (*rspec.Spec, error) {
	content, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, err
	}
	var spec rspec.Spec
	if err := json.Unmarshal(content, &spec); err != nil {
		return nil, err
	}
	return &spec, nil
}

func main() {
	hostSpecific := flag.Bool("host-specific", false, "also run host-specific checks (mount types from /proc/filesystems, hook executables, capabilities supported by this kernel)")
	platform := flag.String("platform", runtime.GOOS, "target platform: linux, solaris or windows")
	levelName := flag.String("compliance-level", "must", "lowest RFC 2119 level that fails validation (may, should, must)")
	strictAmbient := flag.Bool("strict-ambient", false, "fail on ambient capabilities that are not also permitted and inheritable (runc spec's own default does this)")
	verbose := flag.Bool("v", false, "show runtime-tools' log warnings/debug output on stderr")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] BUNDLE_DIR\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(1)
	}
	level, err := rfc2119.ParseLevel(*levelName)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *verbose {
		logrus.SetLevel(logrus.DebugLevel)
	} else {
		logrus.SetLevel(logrus.ErrorLevel)
	}
	logrus.SetOutput(os.Stderr)

	bundle := flag.Arg(0)
	v, err := validate.NewValidatorFromPath(bundle, *hostSpecific, *platform)
	if err != nil {
		// Cannot validate anything without a parsed config: always fatal.
		r := result{strictAmbient: true}
		r.add("load", err, rfc2119.May)
		for _, e := range r.errors {
			fmt.Println(e)
		}
		os.Exit(1)
	}

	// The validate package does not export the parsed spec; parse it again
	// the same way it does for our own checks.
	spec, err := loadSpec(bundle)
	if err != nil {
		fmt.Printf("load: %s\n", oneLine(err.Error()))
		os.Exit(1)
	}

	r := result{strictAmbient: *strictAmbient}
	// Same order as validate.CheckAll, minus CheckJSONSchema (fetches
	// https://raw.githubusercontent.com/...) and CheckSemVer (rejects every
	// version except rspec.Version).  CheckPlatform goes first because it may
	// clear HostSpecific.  CheckLinux also runs CheckLinuxResources;
	// CheckProcess also runs CheckRlimits and CheckCapabilities.
	r.run("CheckPlatform", level, v.CheckPlatform)
	r.run("CheckRoot", level, v.CheckRoot)
	r.run("CheckMandatoryFields", level, v.CheckMandatoryFields)
	r.run("ociVersion", level, func() error { return checkVersion(spec.Version) })
	r.run("CheckMounts", level, v.CheckMounts)
	r.run("CheckProcess", level, v.CheckProcess)
	if *platform == "linux" {
		r.run("CheckLinux", level, v.CheckLinux)
		r.run("namespaces", level, func() error { return checkNamespaceTypes(spec) })
	}
	r.run("CheckAnnotations", level, v.CheckAnnotations)
	if *platform == "linux" || *platform == "solaris" {
		r.run("CheckHooks", level, v.CheckHooks)
	}

	for _, w := range r.warnings {
		fmt.Fprintf(os.Stderr, "warning: %s\n", w)
	}
	for _, e := range r.errors {
		fmt.Println(e)
	}
	if len(r.errors) > 0 {
		os.Exit(1)
	}
}
