package web

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/slawatch/slawatch/backup"
)

// listBackups serves GET /api/v1/backups?set=&at=: every set (or the named
// ones) evaluated from the store at `at` (default now).
func (s *Server) listBackups(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	at := s.opts.Now()
	if v := q.Get("at"); v != "" {
		t, err := queryTime(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "at: "+err.Error())
			return
		}
		at = t
	}
	sets := s.opts.Backend.BackupSets()
	if names := q["set"]; len(names) > 0 {
		var picked []backup.Set
		for _, n := range names {
			found := false
			for _, set := range sets {
				if set.Name == n {
					picked, found = append(picked, set), true
				}
			}
			if !found {
				writeError(w, http.StatusNotFound, fmt.Sprintf("no backup set %q", n))
				return
			}
		}
		sets = picked
	}
	out := make([]backup.Status, 0, len(sets))
	for _, set := range sets {
		st, err := backup.StatusAt(r.Context(), s.opts.Store, set, at)
		if err != nil {
			s.internal(w, "evaluate backups", err)
			return
		}
		out = append(out, st)
	}
	writeJSON(w, http.StatusOK, map[string]any{"backups": out})
}

// pushBackup serves POST /api/v1/backups/{set}: one backup record, the
// same object a command source prints.
func (s *Server) pushBackup(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("set")
	set, ok := s.backupSet(w, name)
	if !ok {
		return
	}
	if set.Source != nil {
		writeError(w, http.StatusConflict, fmt.Sprintf("backup set %s reads its records from its source; records can be pushed only to sets with source: {push: {}}", name))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body too large or unreadable: "+err.Error())
		return
	}
	rec, err := backup.DecodeRecord(body)
	if err == nil {
		err = rec.Check() // the store refuses the zero time ("0001-01-01T00:00:00Z")
	}
	if err == nil {
		if terr := checkTime(rec.Time); terr != nil {
			err = fmt.Errorf("time: %w", terr)
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "malformed backup record: "+err.Error())
		return
	}
	rec.Time = asStored(rec.Time)
	id, err := s.opts.Store.AddBackup(r.Context(), name, rec, asStored(s.opts.Now()))
	if err != nil {
		s.internal(w, "record backup", err)
		return
	}
	s.opts.Backend.BackupPushed(r.Context(), name)
	writeJSON(w, http.StatusCreated, map[string]any{"set": name, "id": id, "record": recordJSON(rec)})
}

// RestoreTestRequest is the body of POST /api/v1/restore-tests.
type RestoreTestRequest struct {
	Set     string    `json:"set"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Success *bool     `json:"success"` // default true
	By      string    `json:"by"`
}

func (s *Server) addRestoreTest(w http.ResponseWriter, r *http.Request) {
	var req RestoreTestRequest
	if !decode(w, r, &req) || badTimes(w, req.Start, req.End) {
		return
	}
	if _, ok := s.backupSet(w, req.Set); !ok {
		return
	}
	// Checked as stored, to the millisecond: ends within the start's
	// millisecond would otherwise reach the store and fail there.
	t := backup.RestoreTest{Start: asStored(req.Start), End: asStored(req.End), Success: req.Success == nil || *req.Success}
	if t.Start.IsZero() || t.End.IsZero() || !t.End.After(t.Start) {
		writeError(w, http.StatusBadRequest, "start and end are required, end after start")
		return
	}
	if req.By == "" {
		req.By = "api"
	}
	id, err := s.opts.Store.AddRestoreTest(r.Context(), req.Set, t, req.By, asStored(s.opts.Now()))
	if err != nil {
		s.internal(w, "record restore test", err)
		return
	}
	s.opts.Backend.BackupPushed(r.Context(), req.Set)
	writeJSON(w, http.StatusCreated, map[string]any{"set": req.Set, "id": id, "start": t.Start, "end": t.End,
		"success": t.Success, "duration_seconds": t.End.Sub(t.Start).Seconds()})
}

func (s *Server) backupSet(w http.ResponseWriter, name string) (backup.Set, bool) {
	for _, set := range s.opts.Backend.BackupSets() {
		if set.Name == name {
			return set, true
		}
	}
	if name == "" {
		writeError(w, http.StatusBadRequest, "set: required")
	} else {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no backup set %q", name))
	}
	return backup.Set{}, false
}

func recordJSON(r backup.Record) map[string]any {
	status := "success"
	if !r.Success {
		status = "failure"
	}
	m := map[string]any{"time": r.Time, "status": status}
	if r.SizeBytes > 0 {
		m["size_bytes"] = r.SizeBytes
	}
	if r.Kind != "" {
		m["kind"] = r.Kind
	}
	if r.ID != "" {
		m["id"] = r.ID
	}
	return m
}
