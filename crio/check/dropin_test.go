// Copied by crio/test-patch.sh into the patched cri-o tree (internal/tispacecheck/) and run there: loads
// TiSpace's runtime-handler drop-in with cri-o's own configuration code, so a misspelt key or an invalid
// value fails here instead of on a node. Not part of the patch.
package tispacecheck_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/cri-o/cri-o/internal/rootfsvolume"
	"github.com/cri-o/cri-o/pkg/config"
)

func TestDropInConfiguresKataHandler(t *testing.T) {
	path := os.Getenv("TISPACE_CRIO_DROPIN")
	if path == "" {
		t.Fatal("TISPACE_CRIO_DROPIN is not set")
	}

	cfg, err := config.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}

	if err := cfg.UpdateFromDropInFile(context.Background(), path); err != nil {
		t.Fatalf("cri-o rejects %s: %v", path, err)
	}

	h, ok := cfg.Runtimes["kata"]
	if !ok {
		t.Fatalf("%s defines no [crio.runtime.runtimes.kata]", path)
	}

	// The patch honours TiSpace's rootfs annotation only under these handlers.
	if !slices.Contains(rootfsvolume.KataHandlers, "kata") {
		t.Errorf("rootfsvolume.KataHandlers %v lacks the drop-in's handler kata", rootfsvolume.KataHandlers)
	}

	if h.RuntimeType != config.RuntimeTypeVM {
		t.Errorf("runtime_type = %q, want %q", h.RuntimeType, config.RuntimeTypeVM)
	}

	if !h.PrivilegedWithoutHostDevices {
		t.Error("privileged_without_host_devices is not true")
	}

	if err := h.ValidateRuntimeType("kata"); err != nil {
		t.Error(err)
	}

	if !h.ValidateRuntimeVMBinaryPattern() {
		t.Errorf("runtime_path %q does not follow the containerd-shim-*-v2 naming cri-o requires", h.RuntimePath)
	}

	if err := h.ValidateRuntimeAllowedAnnotations(); err != nil {
		t.Errorf("allowed_annotations: %v", err)
	}

	if len(h.AllowedAnnotations) != 0 {
		t.Errorf("allowed_annotations = %v, want none", h.AllowedAnnotations)
	}
}
